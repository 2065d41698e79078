export { Ip, type Family } from './address';
export { Cidr } from './cidr';
